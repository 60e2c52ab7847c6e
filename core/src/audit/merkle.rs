//! Merkle trees over audit record hashes, shaped as in RFC 6962 (Certificate
//! Transparency): leaves are `SHA-256(0x00 || record hash)`, inner nodes
//! `SHA-256(0x01 || left || right)`, and a tree of `n` leaves splits at the largest power
//! of two below `n`. An inclusion proof is the list of sibling hashes from a leaf up.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub fn leaf(data: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

fn node(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Largest power of two strictly below `n` (n >= 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The root over `items` (record hashes); the hash of nothing for an empty list.
pub fn root(items: &[Hash]) -> Hash {
    match items.len() {
        0 => Sha256::digest([]).into(),
        1 => leaf(&items[0]),
        n => {
            let k = split(n);
            node(&root(&items[..k]), &root(&items[k..]))
        }
    }
}

/// The sibling hashes that lead from leaf `index` to the root, lowest first.
pub fn path(index: usize, items: &[Hash]) -> Vec<Hash> {
    let n = items.len();
    if n <= 1 || index >= n {
        return Vec::new();
    }
    let k = split(n);
    if index < k {
        let mut p = path(index, &items[..k]);
        p.push(root(&items[k..]));
        p
    } else {
        let mut p = path(index - k, &items[k..]);
        p.push(root(&items[..k]));
        p
    }
}

/// Whether `item` sits at `index` of a tree of `size` leaves with this `root`.
pub fn verify(item: &Hash, index: usize, size: usize, proof: &[Hash], expected: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf(item);
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && &r == expected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| Sha256::digest(i.to_string().as_bytes()).into())
            .collect()
    }

    #[test]
    fn every_leaf_of_every_size_proves_and_a_wrong_one_does_not() {
        for n in 1..=33 {
            let items = items(n);
            let r = root(&items);
            for i in 0..n {
                let p = path(i, &items);
                assert!(verify(&items[i], i, n, &p, &r), "leaf {i} of {n}");
                let other = items[(i + 1) % n];
                if n > 1 {
                    assert!(!verify(&other, i, n, &p, &r), "wrong leaf {i} of {n}");
                }
            }
        }
    }

    #[test]
    fn the_tree_shape_follows_rfc_6962() {
        let items = items(3);
        let expected = node(&node(&leaf(&items[0]), &leaf(&items[1])), &leaf(&items[2]));
        assert_eq!(root(&items), expected);
    }
}
