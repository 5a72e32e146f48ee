// Original file: proto/redraft/v1/cluster.proto


export interface SnapshotRequest {
}

export interface SnapshotRequest__Output {
}
