package diagnose

import "fmt"

// diagnoseMultipart classifies the replies that end a multipart upload
// before it completes: the upload is gone, or the store refuses its parts.
// recstore aborts the upload after any of them, so nothing is left behind;
// the recording must be uploaded again. It reports whether it was one.
func diagnoseMultipart(e *failure, message string) bool {
	switch e.Code {
	case "NoSuchUpload":
		e.Kind = ErrRejected
		e.Cause = fmt.Sprintf("the multipart upload no longer exists at the store (%s: %q): it was aborted while the "+
			"recording was being sent, by a lifecycle rule (AbortIncompleteMultipartUpload, or the store's own clean-up "+
			"of unfinished uploads) or by another client, or the store lost it", e.Op, message)
		e.Fix = "upload the recording again; if uploads take longer than the bucket's AbortIncompleteMultipartUpload " +
			"days, the customer's admin must raise them (recstore needs at least a day)"
	case "InvalidPart", "InvalidPartOrder":
		e.Kind = ErrRejected
		e.Cause = fmt.Sprintf("the store refused the part list that completes the multipart upload (%s: %q): recstore "+
			"lists the parts it sent, in order, all of one size but the last, so the store lost or replaced a part, "+
			"or has rules of its own for parts", e.Code, message)
		e.Fix = "upload the recording again; if it persists, ask the store's operator about its multipart rules " +
			"(its message names the rule), and match them with WithPartSize"
	case "EntityTooSmall":
		e.Kind = ErrRejected
		e.Cause = fmt.Sprintf("the store refused a part smaller than its minimum part size (%q)", message)
		e.Fix = "open the Store with WithPartSize at or above the store's minimum part size (AWS's is 5 MiB; some " +
			"S3-compatible stores ask more), then upload the recording again"
	case "EntityTooLarge":
		e.Kind = ErrRejected
		e.Cause = fmt.Sprintf("the store refused a request body larger than it allows (%q)", message)
		e.Fix = "open the Store with a smaller WithPartSize, within the store's maximum part size (AWS's is 5 GiB)"
	default:
		return false
	}
	return true
}
