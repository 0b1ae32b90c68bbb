/** Live notifications over Server-Sent Events; replaced by the notifications work. */
export function LiveEvents() {
  return null;
}
