// Original file: proto/redraft/v1/cluster.proto


export interface RemoveMemberResponse {
}

export interface RemoveMemberResponse__Output {
}
