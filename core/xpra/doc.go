// Package xpra is the vocabulary both ends of an xpra connection share:
// the protocol version, the request kinds of command-line clients, the
// disconnect reasons, and a typed struct for every packet xroam sends or
// reads, so that no other package builds or reads a packet by position.
//
// Each packet type X has a struct X with named fields, X.Packet() that
// encodes it in the field order xpra 3.1.3 uses, and ParseX that decodes
// one. The packets come from peers that are not trusted: a Parse function
// reads every field through core/wire's tolerant accessors (3.1.3 sends
// text as bytes and may send big integers), never asserts a type, and
// returns an error, never panics, for a packet it cannot use. Optional
// trailing fields take the zero value, or the default the struct
// documents, when a peer leaves them out, as 3.1.3's own code does.
//
// core/wire stays the codec (framing, encoders, compression, the
// wire.Packet list and its accessors); this package knows no X.
package xpra
