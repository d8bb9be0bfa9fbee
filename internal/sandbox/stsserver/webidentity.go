package stsserver

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// webAudience is the audience AWS expects of a web identity token, as EKS
// projects it for IRSA.
const webAudience = "sts.amazonaws.com"

// oidcProvider is the endpoint's OpenID Connect provider: it issues the
// web identity tokens that, as with EKS's IRSA, a recorder reads from a
// file and trades for a session of its own role
// (AssumeRoleWithWebIdentity).
type oidcProvider struct {
	issuer string
	key    *rsa.PrivateKey
}

func newOIDCProvider(issuer string) (*oidcProvider, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("stsserver: OIDC key: %w", err)
	}
	return &oidcProvider{issuer: issuer, key: key}, nil
}

// webClaims are the claims of a web identity token that STS reads.
type webClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	IssuedAt int64  `json:"iat"`
	Expires  int64  `json:"exp"`
}

// Issuer is the URL of the endpoint's OpenID Connect provider, the iss of
// its tokens.
func (s *Server) Issuer() string { return s.oidc.issuer }

// WebIdentityToken returns a token for subject (as EKS's
// system:serviceaccount:<namespace>:<name>) that expires after ttl,
// signed with the endpoint's key (RS256), for a token file.
func (s *Server) WebIdentityToken(subject string, ttl time.Duration) string {
	return s.token(subject, webAudience, ttl)
}

func (s *Server) token(subject, audience string, ttl time.Duration) string {
	now := s.now()
	return s.oidc.sign(webClaims{Issuer: s.oidc.issuer, Subject: subject, Audience: audience,
		IssuedAt: now.Unix(), Expires: now.Add(ttl).Unix()})
}

func (p *oidcProvider) sign(c webClaims) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "stsserver"})
	claims, _ := json.Marshal(c)
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, sum[:])
	return signed + "." + enc.EncodeToString(sig)
}

// verify applies STS's checks to a token, in the order its replies imply:
// the issuer must be a provider of the account (the provider's keys are
// what the signature is checked with), then the signature, audience and
// expiry. The messages of a bad signature and audience are not on record;
// the others are (testdata/aws-errors/sts-web-identity-*.xml).
func (p *oidcProvider) verify(token, audience string, now time.Time) (webClaims, *apiError) {
	invalid := func(message string) *apiError {
		return &apiError{Status: 400, Code: "InvalidIdentityToken", Message: message}
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return webClaims{}, invalid("the web identity token is not a JWT (stsserver: AWS's message is not on record)")
	}
	enc := base64.RawURLEncoding
	var c webClaims
	raw, err := enc.DecodeString(parts[1])
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return webClaims{}, invalid("the web identity token's claims do not decode (stsserver: AWS's message is not on record)")
	}
	if c.Issuer != p.issuer {
		return c, invalid("No OpenIDConnect provider found in your account for " + c.Issuer)
	}
	sig, err := enc.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err != nil || rsa.VerifyPKCS1v15(&p.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return c, invalid("the web identity token's signature does not verify (stsserver: AWS's message is not on record)")
	}
	if c.Audience != audience {
		return c, invalid("the web identity token's audience is not " + audience + " (stsserver: AWS's message is not on record)")
	}
	if now.Unix() >= c.Expires {
		return c, &apiError{Status: 400, Code: "ExpiredTokenException", Message: fmt.Sprintf(
			"Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), c.Expires)}
	}
	return c, nil
}

// assumeRoleWithWebIdentity trades a web identity token for a session of
// a role whose trust policy trusts the token's subject. AWS needs no
// signature on this call: the token is the credential.
func (s *Server) assumeRoleWithWebIdentity(ctx context.Context, w http.ResponseWriter, form url.Values) {
	claims, apiErr := s.oidc.verify(form.Get("WebIdentityToken"), webAudience, s.now())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.mu.Lock()
	role, exists := s.roles[form.Get("RoleArn")]
	s.mu.Unlock()
	if !exists || role.WebIdentitySubject == "" || role.WebIdentitySubject != claims.Subject {
		writeError(w, &apiError{Status: 403, Code: "AccessDenied", Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"})
		return
	}
	duration, apiErr := requestedDuration(form, role, false)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.issue(ctx, w, "AssumeRoleWithWebIdentity", role, form.Get("RoleSessionName"), duration, claims.Subject, form)
}
