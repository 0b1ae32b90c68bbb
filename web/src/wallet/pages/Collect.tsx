import { Page } from '../../shared/ui';

export default function Collect() {
  return <Page title="Collect">{null}</Page>;
}
