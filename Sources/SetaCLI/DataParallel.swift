// `mpirun -np N seta train ...`: the CLI's side of data-parallel training. The job's world is Open MPI's
// MPI_COMM_WORLD when mpirun started the process (OMPI_COMM_WORLD_SIZE is set), else one process as always.
// Each rank gets its share of the machine's cores (one BLAS thread per rank when ranks fill the cores); rank 0
// alone prints progress and writes the run folder; a rank that fails stops the whole job (MPI_Abort), leaving
// the checkpoints rank 0 completed intact for --resume with any number of ranks.
import ArgumentParser
import Foundation
import SetaDistributed
import SetaTensor

enum DataParallel {
    /// The job's world, set up once by `start()` (nil: one process, not under mpirun).
    nonisolated(unsafe) private(set) static var world: MPICommunicator?

    /// The communicator for the trainer: Open MPI's world, or one process.
    static var communicator: Communicator { world ?? SingleProcess() }
    static var isRoot: Bool { (world?.rank ?? 0) == 0 }

    /// Joins the mpirun job if there is one (Open MPI loaded only then) and divides the cores among its ranks.
    static func start() throws {
        guard world == nil, let w = try MPICommunicator.fromEnvironment() else { return }
        world = w
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount / max(w.localSize, 1))
        Parallelism.use(cores: cores)
        // mpirun signals every rank on Ctrl-C, and the survivors when a rank dies.
        Interruption.message = "\nrank \(w.rank): stop requested (Ctrl-C, or mpirun stopping the job because "
            + "a rank failed). The checkpoints of completed tasks are intact; the same command plus --resume "
            + "continues, with any number of ranks."
        if w.rank == 0 {
            standardError("""
                data-parallel over \(w.size) rank\(w.size == 1 ? "" : "s") (Open MPI; \
                \(w.localSize) on this machine, \(cores) thread\(cores == 1 ? "" : "s") each). \
                If a rank fails, mpirun stops every rank; the checkpoints of completed tasks stay intact: \
                the same command \
                plus --resume continues, with any number of ranks.
                """)
        }
    }

    /// Runs `body` as a rank of the job: at the end every rank finalises MPI; an error on any rank is reported with
    /// its rank and stops the whole job (the others would otherwise wait for it forever in a collective).
    static func run(_ body: () throws -> Void) throws {
        do { try body() } catch {
            // Ctrl-C is seen by every rank at the same step (the trainer polls it collectively): a clean stop.
            if let world, world.size > 1, (error as? ExitCode) != ExitCode(130) {
                standardError("rank \(world.rank) of \(world.size) stopped (\(describeError(error))); "
                              + "stopping the job. The checkpoints of completed tasks are intact: continue with "
                              + "--resume (any number of ranks).")
                world.abort(code: (error as? ExitCode)?.rawValue ?? 1)
            }
            world?.finalize()
            throw error
        }
        world?.finalize()
    }

    private static func describeError(_ error: Error) -> String {
        if let code = error as? ExitCode { return "exit code \(code.rawValue)" }
        return (error as? LocalizedError)?.errorDescription ?? "\(error)"
    }
}
