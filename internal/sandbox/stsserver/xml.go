package stsserver

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strings"
	"time"
)

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// apiError is an AWS error reply.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func requestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// writeError answers as AWS does: <ErrorResponse><Error>... with Type
// Sender for 4xx and Receiver for 5xx.
func writeError(w http.ResponseWriter, e *apiError) {
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	type errorBody struct {
		Type    string
		Code    string
		Message string
	}
	type errorResponse struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errorBody
		RequestID string `xml:"RequestId"`
	}
	id := requestID()
	w.Header().Set("X-Amzn-Requestid", id) // STS sends the request ID in a header too
	writeXML(w, e.Status, errorResponse{Xmlns: stsNamespace,
		Error: errorBody{Type: kind, Code: e.Code, Message: e.Message}, RequestID: id})
}

type assumeRoleResult struct {
	AssumedRoleARN, AssumedRoleID string
	AccessKeyID, Secret, Token    string
	Expiration                    time.Time
}

// writeAssumeRole writes the reply to action, AssumeRole or
// AssumeRoleWithWebIdentity, which differ only in their element names.
func writeAssumeRole(w http.ResponseWriter, action string, r assumeRoleResult) {
	type credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	type assumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string
	}
	type result struct {
		XMLName         xml.Name
		AssumedRoleUser assumedRoleUser
		Credentials     credentials
	}
	type response struct {
		XMLName   xml.Name
		Xmlns     string `xml:"xmlns,attr"`
		Result    result
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	writeXML(w, http.StatusOK, response{XMLName: xml.Name{Local: action + "Response"}, Xmlns: stsNamespace,
		RequestID: requestID(), Result: result{XMLName: xml.Name{Local: action + "Result"},
			AssumedRoleUser: assumedRoleUser{AssumedRoleID: r.AssumedRoleID, Arn: r.AssumedRoleARN},
			Credentials: credentials{AccessKeyID: r.AccessKeyID, SecretAccessKey: r.Secret, SessionToken: r.Token,
				Expiration: r.Expiration.Format(time.RFC3339)},
		}})
}

func writeCallerIdentity(w http.ResponseWriter, u User) {
	type result struct {
		Arn     string
		UserID  string `xml:"UserId"`
		Account string
	}
	type response struct {
		XMLName                 xml.Name `xml:"GetCallerIdentityResponse"`
		Xmlns                   string   `xml:"xmlns,attr"`
		GetCallerIdentityResult result
		RequestID               string `xml:"ResponseMetadata>RequestId"`
	}
	name := u.ARN[strings.LastIndexByte(u.ARN, '/')+1:]
	id := "AIDATESTSTS" + strings.ToUpper(name)
	if u.role != "" {
		id = "AROATESTSTSROLE:" + name // a role session's UserId is the role's ID and the session name
	}
	writeXML(w, http.StatusOK, response{Xmlns: stsNamespace, RequestID: requestID(),
		GetCallerIdentityResult: result{Arn: u.ARN, UserID: id, Account: accountOf(u.ARN)}})
}

func writeXML(w http.ResponseWriter, status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(out)
}
