// Metadata merging shared by both LogHandlers, with swift-log's precedence: the handler's
// own metadata (logger[metadataKey:]), then the task-local MetadataProvider, then the
// metadata passed at the call site — later sources win on equal keys.

import Logging

func mergedMetadata(
    handler: Logger.Metadata, provider: Logger.MetadataProvider?, event: LogEvent
) -> Logger.Metadata {
    var merged = handler
    if let provided = provider?.get(), !provided.isEmpty {
        merged.merge(provided) { _, new in new }
    }
    if let explicit = event.metadata, !explicit.isEmpty {
        merged.merge(explicit) { _, new in new }
    }
    if let error = event.error {
        // Becomes CHAT_ERROR in the journal, error=… on stderr.
        merged["error"] = .string("\(error)")
    }
    return merged
}
