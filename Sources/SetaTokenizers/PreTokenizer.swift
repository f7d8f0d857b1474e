/// Pre-tokenisation: splits normalised text into "words" that BPE encodes independently, as the
/// Hugging Face `pre_tokenizer` stage does. The regexes are implemented as hand-written scanners over
/// Unicode scalars (no regex engine), using the Unicode general category for `\p{L}` / `\p{N}` and
/// the White_Space property for `\s`, like Oniguruma / the Rust `regex` crate do.
public indirect enum PreTokenizer: Equatable, Sendable {
    /// The byte-level stage. With `useRegex` it first splits with GPT-2's pattern
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    /// `addPrefixSpace` prepends a space to every piece that does not start with one.
    /// (The mapping of bytes to printable characters is always applied by `BPETokenizer`.)
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// Isolates numbers (`\p{N}`): every digit on its own if `individual`, else runs of digits.
    case digits(individual: Bool)
    /// Isolates the matches of one of the known regexes (HF `Split`, behaviour `Isolated`, not inverted).
    case split(SplitPattern)
    /// Applies each stage to the pieces of the previous one.
    case sequence([PreTokenizer])

    /// GPT-2's pre-tokenizer (ByteLevel with its regex, no prefix space).
    public static let gpt2: PreTokenizer = .byteLevel(addPrefixSpace: false, useRegex: true)
    /// SmolLM2 exactly as `transformers` builds it from the GGUF (`tokenizer.ggml.pre = smollm`):
    /// plain GPT-2 ByteLevel. This is what the parity fixtures are generated with.
    public static let smolLM2: PreTokenizer = .gpt2
    /// SmolLM2 as llama.cpp (and the original Hub tokenizer.json) pre-tokenise: every `\p{N}` isolated
    /// first, then GPT-2 ByteLevel. Differs from `smolLM2` only around non-ASCII numerals (e.g. "½", "٣").
    public static let smolLM2DigitsSplit: PreTokenizer = .sequence([.digits(individual: true), .gpt2])
    /// Llama-3: Split(llama-3 regex) then ByteLevel without regex.
    public static let llama3: PreTokenizer = .sequence([.split(.llama3),
                                                        .byteLevel(addPrefixSpace: false, useRegex: false)])
    /// Qwen2: Split(qwen2 regex) then ByteLevel without regex.
    public static let qwen2: PreTokenizer = .sequence([.split(.qwen2),
                                                       .byteLevel(addPrefixSpace: false, useRegex: false)])

    /// The pre-tokenizer that `transformers` uses for a GGUF `tokenizer.ggml.pre` value, or nil if unknown.
    public static func forGGUF(pre: String) -> PreTokenizer? {
        switch pre {
        case "gpt2", "gpt-2", "smollm", "default", "starcoder", "refact", "olmo": return .gpt2
        case "llama3", "llama-bpe", "llama-v3": return .llama3
        case "qwen2": return .qwen2
        default: return nil
        }
    }
}

/// Regexes a `Split` pre-tokenizer may use (only these are implemented).
public enum SplitPattern: String, CaseIterable, Sendable {
    case gpt2
    case llama3
    case qwen2

    /// The exact pattern string as written in tokenizer.json files.
    public var regex: String {
        switch self {
        case .gpt2:
            return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .llama3:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"#
                + #"\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .qwen2:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"#
                + #"\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// Recognises a pattern string (also GPT-2's with `\s+(?!\S)|\s+` variants written as in the HF files).
    public init?(regex: String) {
        guard let p = SplitPattern.allCases.first(where: { $0.regex == regex }) else { return nil }
        self = p
    }
}

// MARK: - Character classes

@usableFromInline
enum CharClass: UInt8 {
    case letter, number, whitespace, other
}

private let asciiClasses: [CharClass] = (0..<128).map { v -> CharClass in
    switch v {
    case 0x41...0x5A, 0x61...0x7A: return .letter
    case 0x30...0x39: return .number
    case 0x09...0x0D, 0x20: return .whitespace
    default: return .other
    }
}

@inline(__always)
func charClass(_ s: Unicode.Scalar) -> CharClass {
    let v = s.value
    if v < 128 { return asciiClasses[Int(v)] }
    let p = s.properties
    if p.isWhitespace { return .whitespace }
    switch p.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
        return .letter
    case .decimalNumber, .letterNumber, .otherNumber:
        return .number
    default:
        return .other
    }
}

/// Scalars of a text with their classes; pre-tokenizer pieces are ranges into it. Stages that insert
/// text (a prefix space) append a new copy at the end and point the piece there.
struct ScalarBuffer {
    var scalars: [Unicode.Scalar]
    var classes: [CharClass]

    init<S: Sequence>(_ source: S) where S.Element == Unicode.Scalar {
        scalars = Array(source)
        classes = scalars.map(charClass)
    }

    init(_ scalars: ArraySlice<Unicode.Scalar>) {
        self.scalars = Array(scalars)
        classes = self.scalars.map(charClass)
    }
}

// MARK: - Application

extension PreTokenizer {
    /// Splits `pieces` (ranges into `buffer`) further; the result covers the same text in order.
    func apply(_ buffer: inout ScalarBuffer, _ pieces: [Range<Int>]) -> [Range<Int>] {
        switch self {
        case .sequence(let stages):
            var current = pieces
            for stage in stages { current = stage.apply(&buffer, current) }
            return current
        case .digits(let individual):
            var out: [Range<Int>] = []
            out.reserveCapacity(pieces.count)
            for r in pieces { splitDigits(buffer.classes, r, individual: individual, into: &out) }
            return out
        case .split(let pattern):
            var out: [Range<Int>] = []
            out.reserveCapacity(pieces.count * 2)
            for r in pieces { scan(buffer, r, pattern: pattern, into: &out) }
            return out
        case .byteLevel(let addPrefixSpace, let useRegex):
            var current = pieces
            if addPrefixSpace {
                current = current.map { r in
                    if r.isEmpty || buffer.scalars[r.lowerBound] == " " { return r }
                    let start = buffer.scalars.count
                    buffer.scalars.append(" ")
                    buffer.classes.append(.whitespace)
                    buffer.scalars.append(contentsOf: buffer.scalars[r])
                    buffer.classes.append(contentsOf: buffer.classes[r])
                    return start..<buffer.scalars.count
                }
            }
            guard useRegex else { return current }
            var out: [Range<Int>] = []
            out.reserveCapacity(current.count * 2)
            for r in current { scan(buffer, r, pattern: .gpt2, into: &out) }
            return out
        }
    }
}

private func splitDigits(_ classes: [CharClass], _ r: Range<Int>, individual: Bool, into out: inout [Range<Int>]) {
    var start = r.lowerBound
    var i = r.lowerBound
    while i < r.upperBound {
        if classes[i] == .number {
            if start < i { out.append(start..<i) }
            var j = i + 1
            if !individual { while j < r.upperBound && classes[j] == .number { j += 1 } }
            out.append(i..<j)
            i = j
            start = j
        } else {
            i += 1
        }
    }
    if start < r.upperBound { out.append(start..<r.upperBound) }
}

private func scan(_ buffer: ScalarBuffer, _ r: Range<Int>, pattern: SplitPattern, into out: inout [Range<Int>]) {
    var i = r.lowerBound
    let end = r.upperBound
    buffer.scalars.withUnsafeBufferPointer { s in
        buffer.classes.withUnsafeBufferPointer { c in
            while i < end {
                let j: Int
                switch pattern {
                case .gpt2: j = gpt2Match(s, c, i, end)
                case .llama3: j = llamaMatch(s, c, i, end, maxDigits: 3)
                case .qwen2: j = llamaMatch(s, c, i, end, maxDigits: 1)
                }
                out.append(i..<j)
                i = j
            }
        }
    }
}

/// End of the GPT-2 regex match starting at `i` (every position starts a non-empty match).
@inline(__always)
private func gpt2Match(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ c: UnsafeBufferPointer<CharClass>, _ i: Int,
                       _ end: Int) -> Int {
    let first = s[i]
    // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
    if first == "'" && i + 1 < end {
        switch s[i + 1] {
        case "s", "t", "m", "d": return i + 2
        case "r", "v":
            if i + 2 < end && s[i + 2] == "e" { return i + 3 }
        case "l":
            if i + 2 < end && s[i + 2] == "l" { return i + 3 }
        default: break
        }
    }
    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
    let j = first == " " ? i + 1 : i
    if j < end {
        let cls = c[j]
        if cls != .whitespace {
            var k = j + 1
            while k < end && c[k] == cls { k += 1 }
            return k
        }
    }
    // `\s+(?!\S)|\s+`
    return whitespaceMatch(c, i, end)
}

@inline(__always)
private func whitespaceMatch(_ c: UnsafeBufferPointer<CharClass>, _ i: Int, _ end: Int) -> Int {
    var k = i + 1
    while k < end && c[k] == .whitespace { k += 1 }
    if k == end || k - i == 1 { return k }
    return k - 1  // leave the last whitespace to prefix the following word
}

@inline(__always)
private func isCRLF(_ s: Unicode.Scalar) -> Bool { s == "\r" || s == "\n" }

@inline(__always)
private func lowerASCII(_ s: Unicode.Scalar) -> Unicode.Scalar {
    (s.value >= 0x41 && s.value <= 0x5A) ? Unicode.Scalar(s.value + 32)! : s
}

/// End of the Llama-3 (maxDigits 3) / Qwen2 (maxDigits 1) regex match starting at `i`.
@inline(__always)
private func llamaMatch(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ c: UnsafeBufferPointer<CharClass>, _ i: Int,
                        _ end: Int, maxDigits: Int) -> Int {
    let first = s[i]
    let cls = c[i]
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if first == "'" && i + 1 < end {
        switch lowerASCII(s[i + 1]) {
        case "s", "t", "m", "d": return i + 2
        case "r", "v":
            if i + 2 < end && lowerASCII(s[i + 2]) == "e" { return i + 3 }
        case "l":
            if i + 2 < end && lowerASCII(s[i + 2]) == "l" { return i + 3 }
        default: break
        }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if cls == .letter || (cls != .number && !isCRLF(first) && i + 1 < end && c[i + 1] == .letter) {
        var k = i + 1
        while k < end && c[k] == .letter { k += 1 }
        return k
    }
    // \p{N}{1,maxDigits}
    if cls == .number {
        var k = i + 1
        while k < end && k - i < maxDigits && c[k] == .number { k += 1 }
        return k
    }
    // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    let j = first == " " ? i + 1 : i
    if j < end && c[j] == .other {
        var k = j + 1
        while k < end && c[k] == .other { k += 1 }
        while k < end && isCRLF(s[k]) { k += 1 }
        return k
    }
    // \s*[\r\n]+ : the whitespace run up to (and including) its last CR/LF.
    var k = i
    var lastNewline = -1
    while k < end && c[k] == .whitespace {
        if isCRLF(s[k]) { lastNewline = k }
        k += 1
    }
    if lastNewline >= 0 { return lastNewline + 1 }
    // \s+(?!\S)|\s+
    return whitespaceMatch(c, i, end)
}

extension PreTokenizer {
    /// The pieces this pre-tokenizer splits `text` into (before the byte-level mapping).
    public func split(_ text: String) -> [String] {
        var buffer = ScalarBuffer(text.unicodeScalars)
        let pieces = apply(&buffer, [0..<buffer.scalars.count])
        return pieces.map { String(String.UnicodeScalarView(buffer.scalars[$0])) }
    }
}
