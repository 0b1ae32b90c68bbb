import { useTranslation } from 'react-i18next';
import { Button } from './Button';

/** What a paged list (TanStack's infinite query) offers for its next page. */
export interface NextPage {
  readonly hasNextPage: boolean;
  readonly isFetchingNextPage: boolean;
  readonly fetchNextPage: () => Promise<unknown>;
}

/** The "Load more" button under a paged list, while there is more. */
export function LoadMore({ list, label }: { readonly list: NextPage; readonly label?: string }) {
  const { t } = useTranslation();
  if (!list.hasNextPage) return null;
  return (
    <Button
      variant="secondary"
      busy={list.isFetchingNextPage}
      onClick={() => void list.fetchNextPage()}
    >
      {label ?? t('common:loadMore')}
    </Button>
  );
}
