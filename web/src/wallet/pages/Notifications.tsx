import { Page } from '../../shared/ui';

export default function Notifications() {
  return <Page title="Notifications">{null}</Page>;
}
