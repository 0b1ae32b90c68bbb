import { Page } from '../../shared/ui';

export default function Send() {
  return <Page title="Send">{null}</Page>;
}
