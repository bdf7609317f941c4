import EventLoop
import Room

/// What the loops hand the cluster link (through its mailbox).
enum ClusterRequest: Sendable {
    case publish(RoomEvent, room: Room, sender: ConnectionID, except: ConnectionID)
    case sync(Room)
    case claimed(String, ConnectionID)
    case released(String, ConnectionID)
    case sendPrivate(RoomEvent, to: String, sender: ConnectionID)
    case presence(RoomEvent, room: Room, member: ConnectionID)
}

/// Room's relay in cluster mode: the thread-safe front of `ClusterLink`. Calls only queue a
/// request for the link's loop (one mutex append, a doorbell when the queue was empty).
public final class ClusterRelay: RoomRelay {
    let mailbox: Mailbox<ClusterRequest>

    init(mailbox: Mailbox<ClusterRequest>) {
        self.mailbox = mailbox
    }

    public func publish(_ event: RoomEvent, in room: Room, sender: ConnectionID, except: ConnectionID) {
        mailbox.post(.publish(event, room: room, sender: sender, except: except))
    }

    public func sync(_ room: Room) {
        mailbox.post(.sync(room))
    }

    public func claimed(_ name: String, by id: ConnectionID) {
        mailbox.post(.claimed(name, id))
    }

    public func released(_ name: String, by id: ConnectionID) {
        mailbox.post(.released(name, id))
    }

    public func sendPrivate(_ event: RoomEvent, to name: String, sender: ConnectionID) {
        mailbox.post(.sendPrivate(event, to: name, sender: sender))
    }

    public func presence(_ event: RoomEvent, in room: Room, member: ConnectionID) {
        mailbox.post(.presence(event, room: room, member: member))
    }
}
