// Package quicconn is what both ends of an xpra-over-QUIC connection
// share: the application protocol name, the QUIC configuration (idle
// timeout and keep-alives) and Conn, which makes a connection's first
// bidirectional stream a net.Conn. The quic transport plugin listens with
// it and the core's client dials with it, so neither imports the other.
package quicconn
