// Package rfb speaks RFB 3.8 (RFC 6143), the VNC protocol, for desktop and
// shadow sessions: the server side of the handshake (protocol versions
// 3.3, 3.7 and 3.8, security types None and VNC Authentication), the
// client messages, the encodings raw, CopyRect, zlib, ZRLE and Tight with
// the DesktopSize, ExtendedDesktopSize and Cursor pseudo-encodings, and a small client-side
// decoder that the tests and the fuzz targets use to check what the
// server sends.
//
// Everything a peer sends is untrusted: every length is bounded before
// anything is allocated for it.
package rfb
