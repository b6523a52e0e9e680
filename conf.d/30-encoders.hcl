# Picture encodings. auto picks per window and per region: lossless for
# text, a video encoder for areas that update at video rate.
# encoding  = "auto"
# encodings = ["all"]
# quality   = 0    # 0: tuned automatically, never below min-quality
# min-quality = 30
# speed     = 0
# min-speed = 30
# Client and server on the same machine: raw pixels through a shared
# file (xpra's mmap) instead of the socket. A server accepts a client's
# file (no: refuses; an absolute path: uses that file instead of the
# client's); a client offers one. Only with the rgb and auto encodings.
# mmap = "yes"

# Each encoder plugin may be switched off or tuned per site, e.g.
#
# encoder "x264" {
#   enabled = true
#   speed   = 80
# }
#
# encoder "png" {
#   compression = "speed"   # speed, default or best
# }
#
# encoder "jpeg" {
#   quality  = 80     # when neither --quality nor the client asks for one
#   fast_dct = true
# }
