// Package png is the png encoder: a frame of BGRX or BGRA pixels written
// as an 8-bit RGB (or RGBA) PNG file with Go's image/png at its fastest
// compression level. It is lossless, so xpra clients show exactly the
// captured pixels. It is served as the plugin binary xroam-encoder-png.
package png
