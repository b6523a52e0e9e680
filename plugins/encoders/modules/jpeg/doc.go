// Package jpeg is the jpeg encoder: a frame of BGRX or BGRA pixels
// compressed by libjpeg-turbo (through cgo, against Debian's
// libturbojpeg0-dev), which reads the X server's pixel layout directly.
// The quality comes from the request (xpra's 0..100; default 80 when
// the request has none); chroma is subsampled 4:2:0 below quality 90 and
// kept whole (4:4:4) from 90 up. It is served as the plugin binary
// xroam-encoder-jpeg.
package jpeg
