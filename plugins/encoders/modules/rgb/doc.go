// Package rgb is the reference encoder: xpra's rgb24 and rgb32 encodings,
// raw pixels compressed with lz4 or zlib. It is simple enough to be built
// into the core, so a bare install can always paint, and it is also served
// as the plugin binary xroam-encoder-rgb, which makes it the reference for
// the shared-memory frame path that every encoder plugin uses.
package rgb
