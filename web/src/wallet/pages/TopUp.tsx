import { Page } from '../../shared/ui';

export default function TopUp() {
  return <Page title="TopUp">{null}</Page>;
}
