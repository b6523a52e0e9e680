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
