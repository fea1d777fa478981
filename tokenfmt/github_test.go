package tokenfmt

import "bytes"
import "math/rand/v2"
import "strings"
import "testing"

// A published vector: a CRC32/base62/'0'-padded checksum implementation in
// public code gives "2oIfSC" for this 30-character random part. It pins the
// alphabet order (digits, upper, lower) and the CRC variant (IEEE).
func TestGitHubChecksumKnownVector(t *testing.T) {
	if got := GitHubChecksum("fIkRGaBu5PeKsznMzXQOg3kETH1Sgx"); got != "2oIfSC" {
		t.Fatalf("checksum = %q, want 2oIfSC", got)
	}
	if !GitHubChecksumOK("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") {
		t.Fatal("a token with the published checksum is refused")
	}
}

func TestGitHubChecksumPadsWithZero(t *testing.T) {
	// Find a random part whose CRC is below 62^5, so the encoding needs padding.
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1_000_000; i++ {
		var b [30]byte
		for j := range b {
			b[j] = base62[r.IntN(62)]
		}
		s := string(b[:])
		if c := GitHubChecksum(s); c[0] == '0' {
			if len(c) != 6 || !GitHubChecksumOK("ghp_"+s+c) {
				t.Fatalf("padded checksum %q", c)
			}
			return
		}
	}
	t.Fatal("no small CRC found")
}

func TestMintGitHubEveryKind(t *testing.T) {
	for _, k := range GitHubKinds {
		tok, err := MintGitHub(k.Prefix, rand.NewChaCha8([32]byte{1}))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := GitHubKindOf(tok)
		if !ok || got.Name != k.Name || !GitHubShapeOK(tok) || !GitHubChecksumOK(tok) {
			t.Fatalf("%s: minted %q is not its own kind (%v %v)", k.Name, tok, got.Name, ok)
		}
		if k.Checksum {
			if len(tok) != len(k.Prefix)+36 {
				t.Fatalf("%s: length %d", k.Name, len(tok))
			}
			// Change one character of the random part: the checksum must refuse it.
			b := []byte(tok)
			i := len(k.Prefix) + 3
			b[i] = base62[(strings.IndexByte(base62, b[i])+1)%62]
			if GitHubChecksumOK(string(b)) {
				t.Fatalf("%s: a one-character typo passes the checksum", k.Name)
			}
		} else if k.Prefix == "ghr_" {
			if len(tok) != 80 {
				t.Fatalf("refresh token length %d", len(tok))
			}
		} else if len(tok) != len("github_pat_")+22+1+59 || tok[33] != '_' {
			t.Fatalf("fine-grained shape %q", tok)
		}
	}
}

func TestMintGitHubIsReproducibleFromASeed(t *testing.T) {
	a, _ := MintGitHub("ghp_", rand.NewChaCha8([32]byte{7}))
	b, _ := MintGitHub("ghp_", rand.NewChaCha8([32]byte{7}))
	c, _ := MintGitHub("ghp_", rand.NewChaCha8([32]byte{8}))
	if a != b || a == c {
		t.Fatalf("seeded minting: %q %q %q", a, b, c)
	}
}

func TestGitHubRefusals(t *testing.T) {
	good, _ := MintGitHub("ghs_", rand.NewChaCha8([32]byte{1}))
	for _, bad := range []string{
		"", "ghp_", "ghx_" + good[4:], good + "a", good[:len(good)-1],
		"ghp_" + strings.Repeat("-", 36),
		"github_pat_" + strings.Repeat("a", 82),
		"github_pat_" + strings.Repeat("a", 22) + "_" + strings.Repeat("a", 58),
		"ghr_" + strings.Repeat("a", 36), // refresh tokens are 76 characters
		"ghr_" + strings.Repeat("a", 77),
	} {
		if GitHubChecksumOK(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := MintGitHub("gh", rand.NewChaCha8([32]byte{1})); err == nil {
		t.Error("a partial prefix mints")
	}
	if _, err := MintGitHub("ghp_", bytes.NewReader(nil)); err == nil {
		t.Error("an empty random source mints")
	}
}

func FuzzGitHubChecksumOK(f *testing.F) {
	f.Add("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")
	f.Add("github_pat_" + strings.Repeat("a", 22) + "_" + strings.Repeat("b", 59))
	f.Fuzz(func(t *testing.T, s string) {
		ok := GitHubChecksumOK(s)
		if ok && !GitHubShapeOK(s) {
			t.Fatal("checksum ok without the shape")
		}
	})
}
