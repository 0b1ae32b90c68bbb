import { Page } from '../../shared/ui';

export default function Requests() {
  return <Page title="Requests">{null}</Page>;
}
