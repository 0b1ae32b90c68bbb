import { Page } from '../../shared/ui';

export default function Security() {
  return <Page title="Security">{null}</Page>;
}
