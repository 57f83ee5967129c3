# mime: header :mime :anychild and the exists :mime test.
require ["mime", "fileinto"];
if header :mime :type "content-type" "multipart" {
	fileinto "Multipart";
}
if header :mime :anychild :subtype "content-type" "html" {
	fileinto "HasHtml";
}
if header :mime :param "charset" :anychild "content-type" "iso-8859-1" {
	fileinto "Latin1";
}
