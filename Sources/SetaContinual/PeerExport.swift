// Writes what a peer framework (PyTorch + PEFT) needs to replay a Seta run step for step: see
// benchmarks/peers/README.md. (Placeholder: filled in by the peer-export work.)
import Foundation
import SetaModels

public final class PeerExport {
    public let folder: URL
    public init(folder: URL, trainer: ContinualTrainer) throws {
        self.folder = folder
    }
    public func finish() throws {}
}
