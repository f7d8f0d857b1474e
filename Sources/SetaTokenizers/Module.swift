// SetaTokenizers — byte-level BPE tokenizers reproducing Hugging Face `tokenizers`.
//
// Pipeline (one file per stage, as in HF):
//   AddedTokens.swift   added/special tokens matched literally (leftmost-longest) before anything else
//   Normalizer.swift    optional NFC/NFKC
//   PreTokenizer.swift  ByteLevel / Split / Digits / Sequence, regexes as hand-written scalar scanners
//   BPEModel.swift      merge-rank BPE over byte tokens (+ word cache in BPETokenizer)
//   ByteLevel.swift     GPT-2 byte ↔ unicode mapping, used by the encoder and the ByteLevel decoder
//   BPETokenizer.swift  the public tokenizer; TokenizerJSON.swift / GGUFTokenizer.swift build it
//   ChatTemplate.swift  SmolLM2 ChatML formatting
