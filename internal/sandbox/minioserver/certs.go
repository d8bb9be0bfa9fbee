package minioserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// makeCerts writes a certificate for MinIO and its CA to a directory of
// their own, which Stop removes.
func (s *Server) makeCerts() error {
	dir, err := os.MkdirTemp("", "recstore-minio-certs-")
	if err != nil {
		return fmt.Errorf("minioserver: %w", err)
	}
	s.certsDir, s.CAFile = dir, filepath.Join(dir, "ca.crt")
	if err := os.Mkdir(filepath.Join(dir, "certs"), 0o700); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("minioserver: %w", err)
	}
	if s.RootCAs, err = writeCerts(filepath.Join(dir, "certs"), s.CAFile); err != nil {
		os.RemoveAll(dir)
		return err
	}
	return nil
}

// writeCerts makes a throwaway certificate authority and, signed by it, a
// certificate for 127.0.0.1. It writes the certificate and its key where
// MinIO's --certs-dir wants them (dir/public.crt, dir/private.key) and the
// CA to caFile (for SSL_CERT_FILE in child processes), and returns the
// CA's pool, for clients in this one.
func writeCerts(dir, caFile string) (*x509.CertPool, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "recstore test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	for path, block := range map[string]*pem.Block{
		filepath.Join(dir, "public.crt"):  {Type: "CERTIFICATE", Bytes: leafDER},
		filepath.Join(dir, "private.key"): {Type: "PRIVATE KEY", Bytes: keyDER},
		caFile:                            {Type: "CERTIFICATE", Bytes: caDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			return nil, fmt.Errorf("minioserver: writing %s: %w", path, err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, nil
}
