import { Page } from '../../shared/ui';

export default function Scan() {
  return <Page title="Scan">{null}</Page>;
}
