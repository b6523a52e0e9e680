// Package mmap is xpra's "mmap" pixel transfer between a client and a
// server on the same machine: the client creates a file, maps it, writes
// a random token into it and names it in its hello; a server that can
// open the file and finds the token maps it too, writes a token of its
// own for the client to check, and then sends draws whose pixels lie in
// the file instead of on the socket. The draw's data is the list of
// (offset, length) chunks that hold them.
//
// The area is a ring. Its first 8 bytes are two uint32 in the machine's
// byte order (both ends share the machine):
// at 0 where the client has read up to (only the client writes it), at 4
// where the server has written up to (only the server writes it). The
// data lies from byte 8 to the end of the area. A write that does not fit
// before the end is split in two chunks (the second starting at 8), or
// starts again at 8 when the area is mostly free. When the data does not
// fit in the free space, the server sends the draw on the socket.
//
// Tokens are unsigned integers stored least significant byte first over
// a given number of bytes (128 in xpra 3.1.3); the client writes its
// token at offset 512 and at the end of the area, and says where.
//
// Everything read from the area or from a peer's chunk list is untrusted:
// offsets are checked against the area before any access.
package mmap
