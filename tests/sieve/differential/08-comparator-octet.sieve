# Comparators i;octet vs i;ascii-casemap.
require "fileinto";
if header :comparator "i;octet" :contains "subject" "The" {
	fileinto "OctetThe";
}
if header :comparator "i;ascii-casemap" :contains "subject" "the" {
	fileinto "CasemapThe";
}
if header :comparator "i;octet" :is "precedence" "bulk" {
	fileinto "OctetBulk";
}
