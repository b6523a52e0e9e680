# Network sockets and their authentication.
#
# A TCP socket on a non-loopback address needs an authentication module;
# modules are chained when several are given, e.g.
#
# bind-tcp = ["0.0.0.0:14500"]
# tcp-auth = ["file:filename=/etc/xroam/passwd"]
#
# or configured as blocks, whose attributes each module documents:
#
# auth "file" {
#   filename = "/etc/xroam/passwd"
# }

# TLS for ssl:// and wss:// sockets.
# ssl-cert     = "/etc/xroam/ssl-cert.pem"
# ssl-key      = "/etc/xroam/key.pem"
# ssl-protocol = "TLSv1_2"

# Lowest port a bind-tcp, bind-ssl, bind-ws, bind-wss, bind-quic or
# bind-rfb socket may use (0, any free port, is always allowed).
# min-port = 1024

# Share a bind-tcp port with another server: connections that do not
# speak xpra's protocol (nor the TLS or HTTP this server handles) are
# forwarded to it, byte for byte.
# tcp-proxy = "127.0.0.1:8080"
