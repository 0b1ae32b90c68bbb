import { useQuery } from '@tanstack/react-query';
import QRCode from 'qrcode';
import { ErrorNotice, Loading } from '../../../shared/ui';

/** A QR code of `value`, drawn in the browser as a PNG data URL and shown as an image. */
export function QrImage({
  value,
  alt,
  size = 240,
}: {
  readonly value: string;
  readonly alt: string;
  readonly size?: number;
}) {
  const image = useQuery({
    queryKey: ['qr-image', value, size],
    queryFn: () => QRCode.toDataURL(value, { errorCorrectionLevel: 'M', width: size, margin: 2 }),
    staleTime: Infinity,
    retry: false,
  });
  if (image.isPending) return <Loading />;
  if (image.isError) return <ErrorNotice error={image.error} />;
  return <img className="qr-image" src={image.data} alt={alt} width={size} height={size} />;
}
