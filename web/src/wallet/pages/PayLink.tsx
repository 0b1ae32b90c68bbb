import { Page } from '../../shared/ui';

export default function PayLink() {
  return <Page title="PayLink">{null}</Page>;
}
