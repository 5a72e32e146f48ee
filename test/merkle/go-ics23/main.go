// Command go-ics23 checks proofs written by Redraft's TypeScript tests with the reference Go
// implementation of ICS-23 (github.com/cosmos/ics23/go), unmodified, using its SmtSpec.
//
// Usage: go run . VECTORS.json
//
// Each vector names a trusted root, a key, a value (absent: a non-existence proof is checked)
// and the CommitmentProof bytes, all hex, and says whether the reference verifier must accept
// it. Proofs the reference must accept must also re-marshal (gogoproto) to the same bytes, which
// shows our encoding is the canonical one. Prints "N passed, M failed" and exits 1 on any miss.
package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	ics23 "github.com/cosmos/ics23/go"
)

type vector struct {
	Name  string  `json:"name"`
	Root  string  `json:"root"`
	Key   string  `json:"key"`
	Value *string `json:"value"`
	Proof string  `json:"proof"`
	Valid bool    `json:"valid"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go-ics23 VECTORS.json")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var vectors []vector
	if err := json.Unmarshal(data, &vectors); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	passed, failed := 0, 0
	for _, v := range vectors {
		got, detail := check(v)
		if got == v.Valid && detail == "" {
			passed++
			continue
		}
		failed++
		fmt.Printf("FAIL %s: reference verifier says %v, want %v %s\n", v.Name, got, v.Valid, detail)
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// check returns the reference verifier's answer, and a non-empty detail when something else
// is wrong (a panic, or a proof it accepts that is not in its canonical encoding).
func check(v vector) (ok bool, detail string) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
			detail = fmt.Sprint("(panic: ", r, ")")
			if !v.Valid {
				// A tampered proof may make the reference panic; that is still a rejection.
				detail = ""
			}
		}
	}()
	root, key, proofBytes := mustHex(v.Root), mustHex(v.Key), mustHex(v.Proof)
	var proof ics23.CommitmentProof
	if err := proof.Unmarshal(proofBytes); err != nil {
		return false, ""
	}
	if v.Value == nil {
		ok = ics23.VerifyNonMembership(ics23.SmtSpec, root, &proof, key)
	} else {
		ok = ics23.VerifyMembership(ics23.SmtSpec, root, &proof, key, mustHex(*v.Value))
	}
	if ok && v.Valid {
		again, err := proof.Marshal()
		if err != nil || !bytes.Equal(again, proofBytes) {
			return ok, "(gogoproto re-marshals it to different bytes)"
		}
	}
	return ok, ""
}
