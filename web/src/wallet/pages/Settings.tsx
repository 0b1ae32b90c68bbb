import { Page } from '../../shared/ui';

export default function Settings() {
  return <Page title="Settings">{null}</Page>;
}
