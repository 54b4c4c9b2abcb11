// The bare runtime: an empty module (what `node -e 0` costs, loaded from a file like the others).
