// Original file: proto/redraft/v1/cluster.proto


export interface MembersRequest {
}

export interface MembersRequest__Output {
}
