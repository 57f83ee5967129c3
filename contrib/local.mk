# contrib/: the scripts a newcomer runs first, and the sample data the demo
# loads. Shipped in the tarball, not installed.
EXTRA_DIST += \
	%reldir%/setup \
	%reldir%/demo \
	%reldir%/test \
	%reldir%/sample
