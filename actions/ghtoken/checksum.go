package ghtoken

import (
	"hash/crc32"
	"strings"
)

// TODO(merge h-ghsim): tokenfmt.GitHubChecksumOK and tokenfmt.MintGitHub
// replace this file: one place for the checksum rule.

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// checksumOK checks the CRC32 (base62, 6 characters) that ends a classic
// prefixed token; a fine-grained token has no published checksum.
func checksumOK(token string) bool {
	if strings.HasPrefix(token, "github_pat_") {
		return true
	}
	i := strings.IndexByte(token, '_')
	if i < 0 || len(token)-i-1 != 36 {
		return false
	}
	body := token[i+1:]
	return encode62(crc32.ChecksumIEEE([]byte(body[:30]))) == body[30:]
}

func encode62(n uint32) string {
	b := []byte("000000")
	for i := 5; i >= 0 && n > 0; i-- {
		b[i] = base62[n%62]
		n /= 62
	}
	return string(b)
}

// sample is a made-up token of a kind, with a valid checksum.
func sample(prefix string) string {
	if prefix == "github_pat_" {
		return prefix + "keyirSample00000000000_" + strings.Repeat("keyirSampleSecret", 4)[:59]
	}
	body := "keyirSampleToken00000000000000"
	return prefix + body + encode62(crc32.ChecksumIEEE([]byte(body)))
}
