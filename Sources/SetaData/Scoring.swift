// Scores of one prediction against its references: exact match (classification) and ROUGE-L (generation).

/// Per-example scores in 0–1.
public enum Scoring {
    /// 1 if the prediction equals one of the references after trimming whitespace (and newlines), else 0.
    public static func exactMatch(_ prediction: String, _ references: [String]) -> Double {
        let p = prediction.trimmingWhitespace()
        return references.contains { $0.trimmingWhitespace() == p } ? 1 : 0
    }

    /// ROUGE-L F1 as the `rouge-score` package computes it without stemming, maximised over the references:
    /// lowercase, every character outside [a-z0-9] becomes a space, split on whitespace; F1 of the longest
    /// common subsequence of the token lists (0 when either list is empty).
    public static func rougeL(_ prediction: String, _ references: [String]) -> Double {
        let p = rougeTokens(prediction)
        var best = 0.0
        for r in references { best = max(best, lcsF1(p, rougeTokens(r))) }
        return best
    }

    /// The score of `prediction` for `example` under the task's metric.
    public static func score(_ prediction: String, example: Example, kind: TaskKind) -> Double {
        switch kind {
        case .classification: return exactMatch(prediction, example.references)
        case .generation: return rougeL(prediction, example.references)
        }
    }

    /// rouge-score's tokenizer: `text.lower()`, `[^a-z0-9]+` → space, split. Lowercasing is Unicode-aware
    /// (like Python's), then only ASCII letters and digits survive.
    public static func rougeTokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        for s in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(s) || ("0"..."9").contains(s) {
                current.append(s)
            } else if !current.isEmpty {
                tokens.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    /// F1 of the longest common subsequence of two token lists.
    static func lcsF1(_ prediction: [String], _ reference: [String]) -> Double {
        guard !prediction.isEmpty, !reference.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: prediction.count + 1)
        var row = previous
        for r in reference {
            for (j, p) in prediction.enumerated() {
                row[j + 1] = r == p ? previous[j] + 1 : max(previous[j + 1], row[j])
            }
            swap(&previous, &row)
        }
        let lcs = Double(previous[prediction.count])
        let precision = lcs / Double(prediction.count)
        let recall = lcs / Double(reference.count)
        return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    }
}

extension String {
    /// The string without leading and trailing whitespace or newlines (Foundation-free).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }
}
