/// The Lua scripts the cluster link runs in Redis (EVALSHA after SCRIPT LOAD on every
/// connect). A script runs atomically, so a room's number, its stream entry and its
/// publication happen as one step: the order numbers are handed out in is the order entries
/// are stored and published in (Centrifugo's broker_history_add_stream.lua, cluster-anchors.md).
/// Numbers are formatted with %d: Lua 5.1 numbers are doubles and `..` would print 1e+15.
enum ClusterScripts {
    /// KEYS: meta, log. ARGV: maxlen, payload, epoch candidate, is-topic ("1"/"0"), channel.
    /// Returns the number. The epoch is created with the room's data, so a Redis that lost
    /// the room (restart without persistence) starts a new epoch and nodes notice.
    static let publish = """
        local epoch = redis.call('HGET', KEYS[1], 'epoch')
        if not epoch then
          epoch = ARGV[3]
          redis.call('HSET', KEYS[1], 'epoch', epoch)
        end
        local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
        local id = string.format('%d-0', seq)
        redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[1], id, 'e', ARGV[2])
        if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'topic', ARGV[2]) end
        redis.call('PUBLISH', ARGV[5], epoch .. ' ' .. string.format('%d', seq) .. ' ' .. ARGV[2])
        return seq
        """

    /// KEYS: meta, log. ARGV: count. Returns {epoch|nil, seq|nil, topic|nil, newest entries
    /// (newest first, as XREVRANGE gives them)}: one consistent view of the room's past.
    static let snapshot = """
        local m = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'topic')
        local entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[1])
        return {m[1], m[2], m[3], entries}
        """

    /// KEYS: meta, log. ARGV: first number, count. Returns {epoch|nil, entries from the first
    /// number on (oldest first)}.
    static let range = """
        local epoch = redis.call('HGET', KEYS[1], 'epoch')
        local entries = redis.call('XRANGE', KEYS[2], ARGV[1] .. '-0', '+', 'COUNT', ARGV[2])
        return {epoch, entries}
        """

    /// KEYS: the nickname's key. ARGV: holder, lease ms. Takes the name if it is free or
    /// already ours, and (re)sets its lease; 0 if another holder has it. Claim, refresh and
    /// re-assertion after a reconnect are this one script (cluster-anchors.md: renew only
    /// through a script that compares the token).
    static let lease = """
        local holder = redis.call('GET', KEYS[1])
        if holder and holder ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """

    /// KEYS: the nickname's key. ARGV: holder. Frees the name only if it is still ours.
    static let unlease = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """

    /// KEYS: the recipient's nickname key. ARGV: payload. Publishes `<connection> <payload>` on
    /// the holding node's channel; returns the subscribers reached (0: nobody has the name).
    static let whisper = """
        local holder = redis.call('GET', KEYS[1])
        if not holder then return 0 end
        local origin, id = string.match(holder, '^(.*)|(%d+)$')
        if not origin then return 0 end
        return redis.call('PUBLISH', 'chatd:node:' .. origin, id .. ' ' .. ARGV[1])
        """

    static let all = [publish, snapshot, range, lease, unlease, whisper]

    enum Index: Int { case publish, snapshot, range, lease, unlease, whisper }
}
