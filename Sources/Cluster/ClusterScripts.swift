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

    /// What the presence scripts share. KEYS: meta, log, members, nodes (`ClusterKeys`). ARGV:
    /// maxlen, epoch candidate, channel, this node's origin, presence lease ms; then each
    /// script's own. `append` numbers, stores and publishes one payload as `publish` does;
    /// `alive` (re)sets this node's presence in the room until now + lease (Redis's clock, so
    /// nodes' clocks need not agree) and returns 1 if the node was not there (new, or reaped);
    /// `reap` removes the members of nodes whose presence expired, each with a `"g1" member`
    /// entry (`ClusterEntry.gone`) in the room's order, so every node drops them alike.
    static let presencePrelude = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local function append(payload)
          local epoch = redis.call('HGET', KEYS[1], 'epoch')
          if not epoch then
            epoch = ARGV[2]
            redis.call('HSET', KEYS[1], 'epoch', epoch)
          end
          local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
          redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[1], string.format('%d-0', seq), 'e', payload)
          redis.call('PUBLISH', ARGV[3], epoch .. ' ' .. string.format('%d', seq) .. ' ' .. payload)
          return seq
        end
        local function alive()
          return redis.call('ZADD', KEYS[4], string.format('%d', now + tonumber(ARGV[5])), ARGV[4])
        end
        local function reap()
          local dead = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', string.format('%d', now))
          if #dead == 0 then return 0 end
          local gone = {}
          for _, o in ipairs(dead) do
            gone[o] = true
            redis.call('ZREM', KEYS[4], o)
          end
          local n = 0
          for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do
            local o = string.match(f, '^(.*)|%d+$')
            if o and gone[o] then
              redis.call('HDEL', KEYS[3], f)
              append('g1' .. f)
              n = n + 1
            end
          end
          return n
        end

        """

    /// Presence KEYS/ARGV, then ARGV[6] count. Returns {epoch|nil, seq|nil, topic|nil, newest
    /// entries (newest first, as XREVRANGE gives them), members (HGETALL)}: one consistent view
    /// of the room's past and who is in it, after reaping dead nodes' members.
    static let snapshot = presencePrelude + """
        reap()
        local m = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'topic')
        local entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[6])
        return {m[1], m[2], m[3], entries, redis.call('HGETALL', KEYS[3])}
        """

    /// Presence KEYS/ARGV, then ARGV[6] payload (join, part, quit, nick, away of one member),
    /// ARGV[7] member key, ARGV[8] `set` (ARGV[9] its join record) / `del` / `keep`. Numbers
    /// and publishes the payload and changes the member set in the same step. Returns the number.
    static let presence = presencePrelude + """
        alive()
        reap()
        local seq = append(ARGV[6])
        if ARGV[8] == 'set' then
          redis.call('HSET', KEYS[3], ARGV[7], ARGV[9])
        elseif ARGV[8] == 'del' then
          redis.call('HDEL', KEYS[3], ARGV[7])
        end
        return seq
        """

    /// Presence KEYS/ARGV. Every third of the lease, for each room a node has. Returns 1 if
    /// this node's presence there had lapsed (it re-asserts its members then).
    static let heartbeat = presencePrelude + """
        local lapsed = alive()
        reap()
        return lapsed
        """

    /// Presence KEYS/ARGV, then member key / join record pairs: every member this node has in
    /// the room now. Members of this node that Redis holds and the list lacks leave (`g1`),
    /// listed ones missing or changed are (re)stored and published as joins. After a
    /// reconnect or a lapsed presence. Returns the changes.
    static let reassert = presencePrelude + """
        alive()
        reap()
        local prefix = ARGV[4] .. '|'
        local want = {}
        for i = 6, #ARGV - 1, 2 do want[ARGV[i]] = true end
        local n = 0
        for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do
          if string.sub(f, 1, #prefix) == prefix and not want[f] then
            redis.call('HDEL', KEYS[3], f)
            append('g1' .. f)
            n = n + 1
          end
        end
        for i = 6, #ARGV - 1, 2 do
          if redis.call('HGET', KEYS[3], ARGV[i]) ~= ARGV[i + 1] then
            redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
            append(ARGV[i + 1])
            n = n + 1
          end
        end
        return n
        """

    /// KEYS: `ClusterKeys.liveNodes`. ARGV: origin, lease ms, then room / member count pairs
    /// (this node's rooms). Stores this node's rooms until the lease runs out and returns every
    /// other live node's pairs, flat: the cluster-wide `/rooms` (`RoomDirectory.setElsewhere`).
    static let listing = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZADD', KEYS[1], string.format('%d', now + tonumber(ARGV[2])), ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))
        local own = '\(ClusterKeys.nodeRoomsPrefix)' .. ARGV[1]
        redis.call('DEL', own)
        for i = 3, #ARGV - 1, 2 do redis.call('HSET', own, ARGV[i], ARGV[i + 1]) end
        redis.call('PEXPIRE', own, ARGV[2])
        local out = {}
        for _, o in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          if o ~= ARGV[1] then
            local h = redis.call('HGETALL', '\(ClusterKeys.nodeRoomsPrefix)' .. o)
            for j = 1, #h do out[#out + 1] = h[j] end
          end
        end
        return out
        """

    /// KEYS: meta, log. ARGV: first number, count. Returns {epoch|nil, entries from the first
    /// number on (oldest first)}.
    static let range = """
        local epoch = redis.call('HGET', KEYS[1], 'epoch')
        local entries = redis.call('XRANGE', KEYS[2], ARGV[1] .. '-0', '+', 'COUNT', ARGV[2])
        return {epoch, entries}
        """

    /// KEYS: the nickname's key, `ClusterKeys.liveNodes`. ARGV: holder, key TTL ms, this
    /// node's origin, presence lease ms. Takes the name if it is free, already ours, or held by
    /// a node that is no longer alive (its `liveNodes` score has passed), and (re)sets the key's
    /// TTL; 0 if a live node holds it. Claim, renewal and re-assertion after a reconnect are
    /// this one script (cluster-anchors.md: renew only through a script that compares the token).
    ///
    /// *Why liveness by node and not a short TTL per name:* with a per-name lease every node
    /// had to renew every name it holds every third of the lease — measured with 100,000 users
    /// on 7 nodes (scripts/bench/cluster-100k.py), 60,000 scripts/s that queued ahead of the
    /// room traffic on the same connection. Now a node's one `listing` per third of the lease
    /// keeps all its names alive, and each name's key is renewed only against its long TTL.
    /// The claimer's own liveness is (re)set here too, so a name claimed before this node's
    /// first listing is not taken for a dead node's. Cross-slot (`{name}` and `{nodes}`):
    /// under Redis Cluster this would become a liveness read and a compare-and-set.
    static let lease = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZADD', KEYS[2], 'GT', string.format('%d', now + tonumber(ARGV[4])), ARGV[3])
        local holder = redis.call('GET', KEYS[1])
        if holder and holder ~= ARGV[1] then
          local origin = string.match(holder, '^(.*)|%d+$')
          local expires = origin and redis.call('ZSCORE', KEYS[2], origin)
          if expires and tonumber(expires) > now then return 0 end
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """

    /// KEYS: the nickname's key. ARGV: holder. Frees the name only if it is still ours.
    static let unlease = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """

    /// KEYS: the recipient's nickname key. ARGV: payload. Publishes `<connection> <payload>` on
    /// the holding node's channel; returns the subscribers reached (0: nobody has the name, or
    /// its node is gone and so subscribes to nothing).
    static let whisper = """
        local holder = redis.call('GET', KEYS[1])
        if not holder then return 0 end
        local origin, id = string.match(holder, '^(.*)|(%d+)$')
        if not origin then return 0 end
        return redis.call('PUBLISH', 'chatd:node:' .. origin, id .. ' ' .. ARGV[1])
        """

    static let all = [publish, snapshot, range, lease, unlease, whisper, presence, heartbeat, reassert, listing]

    enum Index: Int { case publish, snapshot, range, lease, unlease, whisper, presence, heartbeat, reassert, listing }
}
