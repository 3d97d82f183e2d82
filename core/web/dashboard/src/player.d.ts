/** JSX typing for the <streamsight-player> custom element (core/web/player.js). */
import 'preact';

declare module 'preact' {
  namespace JSX {
    interface IntrinsicElements {
      /** The embeddable WHEP player; `overlays` ('' = every plugin, or 'red-light,lane') draws detections. */
      'streamsight-player': HTMLAttributes<HTMLElement> & {
        camera: string;
        server?: string;
        /** An API token or a viewer token for the camera, sent as ?token= (WHEP, and the overlays' API and /ws). */
        token?: string;
        overlays?: string;
        muted?: string;
        autoplay?: string;
        controls?: string;
      };
    }
  }
}
