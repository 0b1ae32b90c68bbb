import { Page } from '../../shared/ui';

export default function Activity() {
  return <Page title="Activity">{null}</Page>;
}
