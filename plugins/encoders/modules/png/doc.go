// Package png is the png encoder: a frame of BGRX or BGRA pixels written
// as an 8-bit RGB (or RGBA) PNG file with Go's image/png at its fastest
// compression level. It is lossless, so xpra clients show exactly the
// captured pixels. It also serves xpra's 8-bit variants: "png/P" maps
// each pixel to a fixed 3-3-2 palette (lossy, one byte a pixel) and
// "png/L" writes the luma as a grayscale PNG. It is served as the plugin
// binary xroam-encoder-png.
package png
