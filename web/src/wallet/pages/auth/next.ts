/**
 * Where to go after signing in: the `next` query parameter when it is a path on this site
 * ('/activity'), never another origin ('//evil.example', 'https://…'); otherwise home.
 */
export function safeNext(search: URLSearchParams): string {
  const next = search.get('next');
  if (next === null || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) {
    return '/';
  }
  return next;
}
