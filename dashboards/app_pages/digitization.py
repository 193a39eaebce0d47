import streamlit as st

st.title("digitization")
