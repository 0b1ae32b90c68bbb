import { Page } from '../../shared/ui';

export default function Receipt() {
  return <Page title="Receipt">{null}</Page>;
}
