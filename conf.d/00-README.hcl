# xroam configuration directory.
#
# Every *.hcl file here is read in lexical order, then the files of
# ~/.config/xroam/conf.d, then those of any --config-dir, and finally the
# command-line options. A later value replaces an earlier one, so put site
# changes in a new file with a higher number (e.g. 50-site.hcl) rather than
# editing these: package upgrades then never conflict with your changes.
#
# Option names are xpra's, the same as on the command line without the
# dashes:   bind-tcp = ["127.0.0.1:14500"]     daemon = false
# Lists take [...]; a single string is also accepted for a list option.
#
# `xroam showconfig` prints the effective values and the file:line each
# one comes from; `xroam showconfig all` includes the defaults, and
# `xroam showconfig --format=hcl` prints a file you can drop in here.
