"""The claim key the tests' clients, APIs and workers share, and the committed histories were
signed with (tests/histories/generate.py): fixed, since the replay tests must verify what the
generator signed. Nothing it signs outlives a test run or reaches production."""

TEST_CLAIM_KEYS = "ktest:TXsoiB1a7XnhWn57vWSppnRujno0Pe4dBtnjLyV1d7w="
