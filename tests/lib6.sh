# IPv6 helpers for the tests' IPv6 twins, after ../lib.sh (POSIX sh).

# full6 ADDR: ADDR as /proc/net/nf_conntrack prints IPv6 addresses (%pI6:
# eight groups of four hex digits), e.g. 2001:db8:1::2 ->
# 2001:0db8:0001:0000:0000:0000:0000:0002
full6() {
	echo "$1" | awk '
	function pad(g) { return substr("0000" tolower(g), length(g) + 1) }
	{
		n = split($0, half, "::")
		nh = half[1] == "" ? 0 : split(half[1], h, ":")
		nt = (n == 2 && half[2] != "") ? split(half[2], t, ":") : 0
		out = ""
		for (i = 1; i <= nh; i++)
			out = out (i > 1 ? ":" : "") pad(h[i])
		for (i = nh + nt; i < 8; i++)
			out = out (out == "" ? "" : ":") "0000"
		for (i = 1; i <= nt; i++)
			out = out ":" pad(t[i])
		print out
	}'
}
