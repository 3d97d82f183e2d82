#!/usr/bin/python3
"""A real RTSP camera for streamsight's integration tests (GStreamer gst-rtsp-server).

Run with /usr/bin/python3 (the system interpreter that has python3-gi):
  /usr/bin/python3 gst-rtsp-server.py --port 0 --mount /cam --width 320 --height 240 --fps 15 \
      [--user u --password p] [--transport tcp|udp|any] [--audio none|pcma|pcmu]
Prints "READY <port>" on stdout once it listens on 127.0.0.1, then serves until killed.
"""
import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--mount', default='/cam')
    ap.add_argument('--width', type=int, default=320)
    ap.add_argument('--height', type=int, default=240)
    ap.add_argument('--fps', type=int, default=15)
    ap.add_argument('--user')
    ap.add_argument('--password')
    ap.add_argument('--transport', choices=['tcp', 'udp', 'any'], default='any')
    ap.add_argument('--audio', choices=['none', 'pcma', 'pcmu'], default='none')
    args = ap.parse_args()

    Gst.init(None)
    video = (
        f'videotestsrc is-live=true pattern=ball ! video/x-raw,width={args.width},height={args.height},'
        f'framerate={args.fps}/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.fps} '
        f'! rtph264pay name=pay0 pt=96 config-interval=1'
    )
    audio = ''
    if args.audio != 'none':
        enc, pay, pt = ('alawenc', 'rtppcmapay', 8) if args.audio == 'pcma' else ('mulawenc', 'rtppcmupay', 0)
        audio = (
            f' audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=8000,channels=1 ! {enc} '
            f'! {pay} name=pay1 pt={pt}'
        )

    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(args.port))

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f'( {video}{audio} )')
    factory.set_shared(True)
    protocols = {
        'tcp': GstRtsp.RTSPLowerTrans.TCP,
        'udp': GstRtsp.RTSPLowerTrans.UDP,
        'any': GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP,
    }[args.transport]
    factory.set_protocols(protocols)

    if args.user:
        auth = GstRtspServer.RTSPAuth()
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, 'user')
        auth.add_digest(args.user, args.password or '', token)
        server.set_auth(auth)
        role = Gst.Structure.new_empty('user')
        role.set_value(GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        role.set_value(GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.add_role_from_structure(role)

    server.get_mount_points().add_factory(args.mount, factory)
    if server.attach(None) == 0:
        print('ERROR attach failed', flush=True)
        sys.exit(1)
    print(f'READY {server.get_bound_port()}', flush=True)

    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    signal.signal(signal.SIGINT, lambda *_: loop.quit())
    # A GLib timeout lets Python run its signal handlers while the loop sleeps.
    GLib.timeout_add(200, lambda: True)
    loop.run()


if __name__ == '__main__':
    main()
